from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class AccountDunningMixin(models.AbstractModel):
    """Guards the collection fields that a model gains from this addon.

    Fields listed by `_dunning_protected_fields` may be written only by the members
    of their group (`_dunning_field_group`, dunning users by default), on every path
    (form, RPC, import), not just hidden in a view. A field without a group is
    computed and written by the server alone.
    """

    _name = "account.dunning.mixin"
    _description = "Dunning Protected Fields"

    # ------------------------------------------------------------
    # FIELDS
    # ------------------------------------------------------------

    dunning_user_can_edit = fields.Boolean(compute="_compute_dunning_user_can_edit")

    # ------------------------------------------------------------
    # COMPUTE METHODS
    # ------------------------------------------------------------

    @api.depends_context("uid")
    def _compute_dunning_user_can_edit(self):
        self.dunning_user_can_edit = self._dunning_user_can_edit()

    # ------------------------------------------------------------
    # CRUD METHODS
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        protected = self._dunning_protected_fields()
        defaults = self.default_get(list(protected))
        for vals in vals_list:
            changed = {
                name
                for name in protected.intersection(vals)
                if vals[name] and vals[name] != defaults.get(name)
            }
            self._check_dunning_fields_access(changed)
        return super().create(vals_list)

    def write(self, vals):
        # Rewriting the current value (e.g. a form saving a read-only field) changes nothing.
        changed = {
            name
            for name in self._dunning_protected_fields().intersection(vals)
            if any(
                record._fields[name].convert_to_write(record[name], record) != vals[name]
                for record in self
            )
        }
        self._check_dunning_fields_access(changed)
        return super().write(vals)

    # ------------------------------------------------------------
    # BUSINESS METHODS
    # ------------------------------------------------------------

    @api.model
    def _dunning_protected_fields(self):
        return set()

    @api.model
    def _dunning_user_can_edit(self):
        return self.env.is_superuser() or self.env.user.has_group(
            "account_dunning.group_dunning_user"
        )

    @api.model
    def _dunning_field_group(self, field_name):
        """XML id of the group whose members may change this protected field, or
        None when only the server writes it."""
        return "account_dunning.group_dunning_user"

    @api.model
    def _check_dunning_fields_access(self, field_names):
        if not field_names or self.env.is_superuser():
            return
        denied = {}
        for name in field_names:
            group = self._dunning_field_group(name)
            if not group or not self.env.user.has_group(group):
                denied.setdefault(group, []).append(self._fields[name].string)
        for group, names in denied.items():
            labels = ", ".join(sorted(names))
            if not group:
                raise AccessError(
                    _(
                        "%(fields)s are written by Odoo alone: nobody may change them by hand.",
                        fields=labels,
                    )
                )
            raise AccessError(
                _(
                    "Only members of “%(group)s” may change %(fields)s.",
                    group=self.env.ref(group).sudo().full_name,
                    fields=labels,
                )
            )

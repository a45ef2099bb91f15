from odoo import _, api, fields, models
from odoo.exceptions import AccessError


class AccountDunningMixin(models.AbstractModel):
    """Guards the collection fields that a model gains from this addon.

    Fields listed by `_dunning_protected_fields` may be written only by dunning
    users, on every path (form, RPC, import), not just hidden in a view.
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
    def _check_dunning_fields_access(self, field_names):
        if field_names and not self._dunning_user_can_edit():
            labels = sorted(self._fields[name].string for name in field_names)
            raise AccessError(
                _(
                    "Only dunning users may change the collection fields %(fields)s.",
                    fields=", ".join(labels),
                )
            )

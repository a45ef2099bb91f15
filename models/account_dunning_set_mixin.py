from odoo import api, models
from odoo.tools import SQL


class AccountDunningSetMixin(models.AbstractModel):
    """Records the server writes by the thousand (a run's notices, its history
    entries), inserted as a set: one statement, stored as create() stores them.

    create() spends a few tenths of a millisecond per record on its cache, on
    defaults read per record and, for a mail.thread, on followers and tracking.
    Server only: what a user creates goes through create() and its checks.
    """

    _name = "account.dunning.set.mixin"
    _description = "Dunning Records Inserted as a Set"

    @api.model
    def _insert_set(self, vals_list):
        """Insert `vals_list` (column fields only, by id) with one statement:
        defaults read once for all, the log columns as create() sets them, the
        company and the constraints checked. For a mail.thread: no follower, no
        message, and no tracking in this transaction. Returns the records, in the
        order of `vals_list`."""
        if not vals_list:
            return self.browse()
        columns, defaults = self._get_set_columns(vals_list)
        log_values = (self.env.uid, self.env.cr.now()) * 2

        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (%s) VALUES %s RETURNING id",
                SQL.identifier(self._table),
                SQL(", ").join(
                    map(
                        SQL.identifier,
                        [*columns, "create_uid", "create_date", "write_uid", "write_date"],
                    )
                ),
                SQL(", ").join(
                    SQL(
                        "(%s)",
                        SQL(", ").join(
                            [
                                *(
                                    self._fields[name].convert_to_column_insert(
                                        vals.get(name, defaults.get(name)), self, vals
                                    )
                                    for name in columns
                                ),
                                *log_values,
                            ]
                        ),
                    )
                    for vals in vals_list
                ),
            )
        )
        records = self.browse(id_ for (id_,) in self.env.cr.fetchall())
        # What create() keeps in step: the one2many fields that list these records.
        for name in columns:
            for inverse in self.pool.field_inverses[self._fields[name]]:
                self.env[inverse.model_name].invalidate_model([inverse.name])
        # As create(): what depends on these fields (counts, stored computes) follows.
        records.modified(columns, create=True)
        if isinstance(self, self.pool["mail.thread"]):
            # As create(): what the transaction that makes them changes is not tracked.
            records._track_discard()
        if self._check_company_auto:
            records._check_company_once(vals_list)
        records._validate_fields(columns)
        return records

    @api.model
    def _get_set_columns(self, vals_list):
        """The columns `vals_list` fills, and the defaults of those some values leave
        out, read once. Refuses a key that is no column (create() would too)."""
        stored = [
            name
            for name, field in self._fields.items()
            if field.column_type and name not in models.MAGIC_COLUMNS
        ]
        given = {name for vals in vals_list for name in vals}
        if unknown := given.difference(stored):
            raise ValueError(f"{self._name}: no column for {sorted(unknown)}")
        in_all = set.intersection(*(set(vals) for vals in vals_list))
        defaults = self.default_get([name for name in stored if name not in in_all])
        return sorted(given | set(defaults)), defaults

    def _check_company_once(self, vals_list):
        """create()'s company check, on one of these records (from `vals_list`) per
        company and set of checked values: the others say the same."""
        checked = [
            "company_id",
            *(
                name
                for name, field in self._fields.items()
                if field.relational and field.check_company
            ),
        ]
        firsts = {}
        for record, vals in zip(self, vals_list, strict=True):
            firsts.setdefault(tuple(vals.get(name) for name in checked), record)
        self.browse(record.id for record in firsts.values())._check_company()

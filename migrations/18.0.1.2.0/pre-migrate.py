"""Customer collection settings become per company: each value set before
applies, as it did, in every company."""

from odoo.tools import SQL

# Each column and its former default, kept as "not set" so the fallback applies.
COLUMNS = {
    "dunning_excluded": False,
    "dunning_exclusion_reason": None,
    "dunning_stage": "normal",
    "dunning_credit_hold": False,
    "deposit_policy": "rules",
    "deposit_percent": 0,
}


def migrate(cr, version):
    for column, default in COLUMNS.items():
        cr.execute(
            "SELECT data_type FROM information_schema.columns"
            " WHERE table_name = 'res_partner' AND column_name = %s",
            [column],
        )
        row = cr.fetchone()
        if not row or row[0] == "jsonb":
            continue
        new = SQL.identifier(column)
        old = SQL.identifier(f"{column}_before_company")
        cr.execute(SQL("ALTER TABLE res_partner RENAME COLUMN %s TO %s", new, old))
        cr.execute(SQL("ALTER TABLE res_partner ADD COLUMN %s jsonb", new))
        cr.execute(
            SQL(
                """
                UPDATE res_partner
                   SET %(new)s = (SELECT jsonb_object_agg(company.id::text, to_jsonb(%(old)s))
                                    FROM res_company company)
                 WHERE %(old)s IS NOT NULL AND %(old)s IS DISTINCT FROM %(default)s
                """,
                new=new,
                old=old,
                default=default,
            )
        )
        cr.execute(SQL("ALTER TABLE res_partner DROP COLUMN %s", old))

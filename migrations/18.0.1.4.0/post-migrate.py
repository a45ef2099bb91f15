"""18.0.1.4.0: promises to pay became records. A promised date typed on an open
invoice before becomes a promise of its open amount, so that nothing is lost;
the invoice's promised date is then computed from the promises."""

from odoo import SUPERUSER_ID, Command, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    Move = env["account.move"]
    moves = Move.search([("dunning_promise_date", "!=", False)])
    promised = {move: move.dunning_promise_date for move in moves}
    env["account.dunning.promise"].create(
        [
            {
                "company_id": move.company_id.id,
                "partner_id": move.commercial_partner_id.id,
                "move_ids": [Command.set(move.ids)],
                "amount": move.amount_residual,
                "date": date,
                "note": "Promised date recorded on the invoice before version 18.0.1.4.0.",
                "user_id": False,
            }
            for move, date in promised.items()
            # A date that comes from a promise record already (say, demo data
            # loaded by this upgrade) is not converted twice.
            if move.dunning_open and not move.dunning_promise_ids
        ]
    )
    env.add_to_compute(Move._fields["dunning_promise_date"], moves)

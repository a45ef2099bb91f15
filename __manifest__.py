{
    "name": "Dunning & Collections",
    "version": "18.0.1.0.0",
    "category": "Accounting/Accounting",
    "summary": "Collection ladder for overdue invoices: reminders, calls, "
    "demand letters, escalation and deposits before work starts",
    "author": "account_dunning developers",
    "license": "LGPL-3",
    "depends": ["account", "sale", "mail"],
    "external_dependencies": {"python": ["qrcode", "num2words"]},
    "data": [
        "security/account_dunning_security.xml",
        "security/ir.model.access.csv",
        "data/mail_template_data.xml",
        "data/account_dunning_policy_data.xml",
        "views/account_dunning_policy_views.xml",
        "views/account_dunning_level_views.xml",
        "views/account_move_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/account_dunning_demo.xml",
    ],
    "installable": True,
    "application": False,
}

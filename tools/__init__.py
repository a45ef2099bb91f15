# Pure helpers: no Odoo import here, so that pytest can load them on their own.

"""The CRM pages (thin adapters: look up through access, call the services, render)."""

"""The customer's own trip page (issue 17): links, what the page shows, what the customer may do there,
and the crisis notices a supervisor sends to trips. No Flask here; the page lives in webapp/pages."""

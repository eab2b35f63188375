"""The browser side, in static/: the autocomplete page's front end (app.js, style.css), shared by
the page `ntp serve` serves (at /web) and the folder `ntp export web` writes (index.html), and the
JavaScript engine that runs a model in the tab (next-token.js). page.html is the page's one
markup, which page.py fills in for either place; export.py writes the folder."""

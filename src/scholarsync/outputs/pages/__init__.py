"""The profile page's managed sections: find and replace them, render them through Jinja2,
and the views and labels the templates see."""

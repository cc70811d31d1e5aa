"""ivdb's functions: the API's blueprints and the event handlers, registered and nothing else."""

from chalice import Chalice

from chalicelib.api.health import health

app = Chalice(app_name="ivdb")
app.register_blueprint(health)

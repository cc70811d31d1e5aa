"""ivdb's functions: the API's blueprints and the event handlers, registered and nothing else."""

from chalice import Chalice

from chalicelib.api.audit import audit
from chalicelib.api.health import health
from chalicelib.api.linkage import linkage
from chalicelib.api.records import records
from chalicelib.handlers.linkage import linkage_updates
from chalicelib.handlers.relay import relay

app = Chalice(app_name="ivdb")
for blueprint in (health, records, audit, linkage, relay, linkage_updates):
    app.register_blueprint(blueprint)

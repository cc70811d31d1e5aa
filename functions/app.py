"""ivdb's functions: the API's blueprints and the event handlers, registered and nothing else."""

from chalice import Chalice

from chalicelib.api.audit import audit
from chalicelib.api.health import health
from chalicelib.api.linkage import linkage
from chalicelib.api.records import records
from chalicelib.api.statistics import statistics
from chalicelib.handlers.linkage import linkage_updates
from chalicelib.handlers.relay import relay
from chalicelib.handlers.statistics import statistics_updates

app = Chalice(app_name="ivdb")
for blueprint in (health, records, audit, linkage, statistics, relay, linkage_updates, statistics_updates):
    app.register_blueprint(blueprint)

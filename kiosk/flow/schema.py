"""JSON Schema (draft 2020-12) generated from the same models the loader validates with."""
from __future__ import annotations

from kiosk.flow.model import FORMAT_VERSION, Flow

SCHEMA_ID = f"https://kiosk.example.org/schema/flow-v{FORMAT_VERSION}.json"


def flow_schema() -> dict:
    doc = Flow.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = SCHEMA_ID
    doc["title"] = "Kiosk service-item flow"
    doc["properties"]["format"]["const"] = FORMAT_VERSION
    doc["properties"]["$schema"] = {"type": "string", "description": "Editors may point here."}
    return doc


def scenario_schema() -> dict:
    from kiosk.scenario.model import ScenarioFile

    doc = ScenarioFile.model_json_schema()
    doc["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    doc["$id"] = f"https://kiosk.example.org/schema/flow-test-v{FORMAT_VERSION}.json"
    return doc

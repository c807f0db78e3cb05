# Deliberately broken: the conformance suite checks that this file is reported by name
# while every other step keeps working.
config = {"name": "conf-broken", "type": "api", "path": "/broken", "method": "GET"
def handler(req, ctx):
    return {"status": 200}

config = {"name": "private", "schema": {"type": "object"}, "baseConfig": {"storageType": "default"}}


def can_access(subscription, auth_context):
    # Each user may watch only the group named after them.
    return bool(auth_context) and auth_context.get("user") == subscription["groupId"]

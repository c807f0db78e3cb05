# A noop node reached only by a virtual edge (drawn dashed).
config = {"name": "auditor", "type": "noop", "virtualSubscribes": ["shop.audit"], "flows": ["shop"]}

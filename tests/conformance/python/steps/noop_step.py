config = {
    "name": "conf-noop",
    "type": "noop",
    "virtualEmits": ["conf.note"],
    "virtualSubscribes": [],
    "flows": ["conformance"],
}

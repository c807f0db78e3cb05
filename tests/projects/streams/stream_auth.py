# The project's stream auth hook: a token becomes an auth context; None refuses the client.
USERS = {"alice-token": "alice", "bob-token": "bob"}


def authenticate(request):
    token = request.get("token")
    if token is None:
        return {"user": None}  # anonymous clients may connect (public streams only)
    user = USERS.get(token)
    return {"user": user} if user else None

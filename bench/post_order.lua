-- wrk: every request is POST /orders with a small JSON order (Motia's benchmark flow).
wrk.method = "POST"
wrk.body = '{"item":"book","quantity":1}'
wrk.headers["Content-Type"] = "application/json"

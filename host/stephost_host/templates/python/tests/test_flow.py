# The whole flow on a real host: stephost_tester runs `stephost dev` on this project.


async def test_a_greeting_goes_through_the_whole_flow(stephost_tester):
    sent = await stephost_tester.watch("greeting.sent")
    r = await stephost_tester.post("/greetings", body={"name": "Ada"})
    assert r.status == 202
    await stephost_tester.wait_events()
    assert [e["data"] for e in sent.captured_events()] == [{"name": "Ada", "message": "Hello, Ada!"}]
    item = await stephost_tester.get("/__stephost/streams/greetings/all/Ada")
    assert item.body == {"id": "Ada", "name": "Ada", "message": "Hello, Ada!"}

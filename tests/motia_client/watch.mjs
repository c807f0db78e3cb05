// node watch.mjs WS_URL STREAM GROUP: subscribes to a group and to item "a" with Motia's
// own client, then prints one JSON line per change it sees: {state, item, event?}.
import { Stream } from '@motiadev/stream-client-node'

const [url, streamName, groupId] = process.argv.slice(2)
const stream = new Stream(url)
const group = stream.subscribeGroup(streamName, groupId)
const item = stream.subscribeItem(streamName, groupId, 'a')
let ready = false
const print = (extra = {}) => console.log(JSON.stringify({ state: group.getState(), item: item.getState(), ...extra }))

group.addChangeListener((state) => {
  if (!ready) {
    ready = true
    console.log(JSON.stringify({ ready: state }))
    return
  }
  print()
})
item.addChangeListener(() => ready && print())
group.onEvent('ping', (data) => print({ event: data }))

// node watch_item.mjs WS_URL STREAM GROUP ITEM TOKEN: subscribes to one item with Motia's own
// client, authenticating as Motia's clients do (the Authorization subprotocol), and prints each
// state it sees (the sync right after the join first) as one JSON line: {item}.
import { Stream } from '@motiadev/stream-client-node'

const [url, streamName, groupId, itemId, token] = process.argv.slice(2)
const stream = new Stream(url, { protocols: ['Authorization', token] })
stream
  .subscribeItem(streamName, groupId, itemId)
  .addChangeListener((state) => console.log(JSON.stringify({ item: state ?? null })))

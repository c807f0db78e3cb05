// How big the file uploaded to it (multipart/form-data) is: the `bodies` section posts big ones here.
export const config = { name: 'upload-node', type: 'api', path: '/upload', method: 'POST', emits: [] }

export const handler = async (req: { body: { upload: { content: Buffer } } }) => ({
  status: 200,
  body: { size: req.body.upload.content.length },
})

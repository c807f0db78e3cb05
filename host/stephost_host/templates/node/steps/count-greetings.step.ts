// Once an hour, logs how many greetings were sent so far.
export const config = {
  name: 'count-greetings',
  type: 'cron',
  cron: '0 * * * *',
  emits: [],
  flows: ['greetings'],
}

export const handler = async ({ state, logger }) => {
  const greetings = await state.getGroup('greetings')
  logger.info('greetings so far', { count: greetings.length })
}

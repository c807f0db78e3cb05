# Once an hour, logs how many greetings were sent so far.
def config
  { "name" => "count-greetings", "type" => "cron", "cron" => "0 * * * *", "emits" => [], "flows" => ["greetings"] }
end

def handler(ctx)
  ctx.logger.info("greetings so far", { "count" => ctx.state.get_group("greetings").size })
end

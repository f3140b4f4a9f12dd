/**
 * Each test file's process starts without the receivers' secrets of the shell that ran the
 * suite: the bundled policies read SLACK_WEBHOOK_URL and PAGERDUTY_ROUTING_KEY, and an engine a
 * test starts must never send to a real Slack or PagerDuty of the developer's.
 */
for (const name of ['SLACK_WEBHOOK_URL', 'PAGERDUTY_ROUTING_KEY']) delete process.env[name];

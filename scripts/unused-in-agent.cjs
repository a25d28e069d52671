// Stands in, inside the agent bundle only (see scripts/build.mjs), for library internals the agent
// never runs: node-vault's `debug` logging (the agent logs itself) and pino's worker-thread transports
// (`thread-stream`; the agent logs synchronously to stdout). Loading them would cost every agent start
// the `tty` and worker code for nothing. CommonJS, because both are require()d and called directly.
function unused() {
  return Object.assign(() => undefined, { enabled: false, extend: unused });
}
module.exports = unused;

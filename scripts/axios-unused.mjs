// Stands in for axios inside the agent bundle (see scripts/build.mjs): node-vault only calls axios
// when it is not given a transport, and the agent always gives it one.
export function create() {
  throw new Error("axios is not bundled into the agent: node-vault must be given the agent's transport");
}

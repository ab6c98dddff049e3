// The worker entry of luahome (`luahome/worker`): start it with
// `Lua.open({ worker: true })` (or `{ worker: true, workerUrl }`); it exports nothing.
export {};

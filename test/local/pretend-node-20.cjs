// Preloaded with --require so node-check.cjs sees an old Node, as on a machine where npm ran the system node.
Object.defineProperty(process.versions, 'node', { value: '20.20.2' });

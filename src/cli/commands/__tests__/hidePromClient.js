// Preloaded by serve's tests (`node --require`): prom-client cannot be resolved, as in a project
// that did not install the optional peer. NODE_PATH cannot hide a package node_modules holds.
const Module = require('node:module');

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === 'prom-client' || request.startsWith('prom-client/')) {
    throw Object.assign(new Error(`Cannot find module '${request}' (hidden by hidePromClient.js)`), { code: 'MODULE_NOT_FOUND' });
  }
  return resolveFilename.call(this, request, ...rest);
};

/**
 * Setup file of the unit tier (vitest.config.ts, project `unit`): unit tests
 * exercise pure modules, so opening a UDP or TCP socket there fails at once,
 * with a message that says where such a test belongs.
 */
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';
import net from 'node:net';

function refuse(what: string): never {
  throw new Error(
    `${what} in a unit test: unit tests open no sockets; list this file in PACKAGE_SOCKET_TESTS ` +
      `(vitest.config.ts) so that it runs in the integration project`,
  );
}

dgram.createSocket = () => refuse('dgram.createSocket');
net.createServer = () => refuse('net.createServer');
net.connect = () => refuse('net.connect');
net.createConnection = () => refuse('net.createConnection');
// Named imports (`import { createSocket } from 'node:dgram'`) see the change too.
syncBuiltinESMExports();

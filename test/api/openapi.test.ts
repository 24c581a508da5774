/**
 * The OpenAPI document (generated from the route schemas) is valid OpenAPI
 * 3, documents exactly the registered /api/v1 routes (not /ws, not /docs),
 * with tags, the bearer scheme and problem+json errors; /docs is Swagger UI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { SERVER_VERSION } from '@parley/server';
import { startServer, type TestServer } from '../helpers/server.js';
import { registeredRoutes } from '../helpers/api.js';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { in: string; name: string }[];
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  tags: { name: string }[];
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
  paths: Record<string, Record<string, Operation>>;
}

describe('OpenAPI document and Swagger UI', () => {
  let t: TestServer;
  let doc: OpenApiDoc;

  beforeAll(async () => {
    t = await startServer();
    const res = await fetch(`${t.info.url}/docs/json`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await res.json()) as OpenApiDoc;
  });
  afterAll(async () => {
    await t?.close();
  });

  it('validates as OpenAPI 3', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc as unknown as Record<string, unknown>);
    expect(result.errors, JSON.stringify(result.errors, null, 2)).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toMatch(/^3\./);
    expect(doc.info).toMatchObject({ title: 'Parley API', version: SERVER_VERSION });
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('covers every registered /api/v1 route and nothing else', () => {
    const registered = registeredRoutes(t.server.app)
      .filter((r) => r.url.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(documented).toEqual(registered);
    expect(Object.keys(doc.paths).some((p) => p.startsWith('/ws') || p.startsWith('/docs'))).toBe(false);
  });

  it('gives every operation a tag, a summary, its security, and problem+json errors', () => {
    const tagNames = new Set(doc.tags.map((tag) => tag.name));
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect(op.tags?.length, where).toBe(1);
        expect(tagNames.has(op.tags?.[0] ?? ''), where).toBe(true);
        expect(op.summary, where).toEqual(expect.any(String));
        expect(op.security, where).toBeDefined();
        const codes = Object.keys(op.responses);
        expect(
          codes.some((c) => c.startsWith('2')),
          where,
        ).toBe(true);
        for (const c of codes.filter((code) => code.startsWith('4'))) {
          expect(Object.keys(op.responses[c]?.content ?? {}), `${where} ${c}`).toEqual([
            'application/problem+json',
          ]);
        }
      }
    }
    // Routes that need a token say so; public ones do not.
    expect(doc.paths['/api/v1/users']?.get?.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/api/v1/auth/login']?.post?.security).toEqual([]);
    expect(doc.paths['/api/v1/health']?.get?.security).toEqual([]);
  });

  it('documents list parameters and never a password hash', () => {
    const params = doc.paths['/api/v1/users']?.get?.parameters?.map((p) => p.name).sort();
    expect(params).toEqual([
      'createdAfter',
      'createdBefore',
      'cursor',
      'limit',
      'online',
      'q',
      'role',
      'sort',
    ]);
    expect(JSON.stringify(doc)).not.toMatch(/passwordHash|password_hash/);
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await fetch(`${t.info.url}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/swagger/i);
  });
});

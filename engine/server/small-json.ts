/**
 * The parser of the admin routes' small JSON bodies (a reason, a target): read as text up to
 * `limit` bytes, an empty body read as {}, anything that is not JSON a 400.
 */
import type { FastifyInstance } from 'fastify';

export function acceptSmallJson(scope: FastifyInstance, limit: number): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: limit }, (_request, body, done) => {
    try {
      done(null, body === '' ? {} : JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('the body is not JSON'), { statusCode: 400 }), undefined);
    }
  });
}

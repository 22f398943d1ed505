// Which 5xx answers are a proxy's rather than the engine's (engine/gateway.ts, held-out probe round 17c).
import { expect, it } from 'vitest';
import { gatewayAnswer, gatewayError } from '../../../src/engine/gateway.js';

const nginx502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n';

it("the engine's own errors are the engine's: any 4xx, a JSON 5xx, a 5xx with a product header", () => {
  expect(gatewayAnswer(404, { 'content-type': 'text/html' }, '<html></html>')).toBeUndefined();
  expect(gatewayAnswer(503, { 'content-type': 'application/json; charset=UTF-8' }, '{"error":{"type":"master_not_discovered_exception"},"status":503}')).toBeUndefined();
  expect(gatewayAnswer(500, { 'content-type': 'application/vnd.elasticsearch+json;compatible-with=8' })).toBeUndefined();
  expect(gatewayAnswer(502, { 'x-elastic-product': 'Elasticsearch' })).toBeUndefined();
  expect(gatewayAnswer(503, { 'x-opensearch-version': 'OpenSearch/3.6.0 (opensearch)' })).toBeUndefined();
});

it("a proxy's HTML page, or a 5xx with no content type, is the proxy's: named with its server and title", () => {
  expect(gatewayAnswer(502, { 'content-type': 'text/html', server: 'nginx/1.22.1' }, nginx502)).toBe('502 text/html from nginx/1.22.1 ("502 Bad Gateway")');
  expect(gatewayAnswer(503, { 'content-type': 'text/html; charset=utf-8' }, Buffer.from('<html><body><h1>503 Service Unavailable</h1>No server is available to handle this request.</body></html>'))).toBe('503 text/html');
  expect(gatewayAnswer(504, {})).toBe('504 without a content type');
});

it('a gateway 504 is a timeout, any other gateway 5xx the engine unreachable', () => {
  expect(gatewayError('the first-stage search POST /i/_search', 'http://gw:80', 504, { 'content-type': 'text/html' })?.code).toBe('VLR_UPSTREAM_TIMEOUT');
  expect(gatewayError('x', 'http://gw:80', 502, { 'content-type': 'text/html' })?.code).toBe('VLR_UPSTREAM_UNREACHABLE');
  expect(gatewayError('x', 'http://gw:80', 503, { 'content-type': 'application/json' })).toBeUndefined();
});

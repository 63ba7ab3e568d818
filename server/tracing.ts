import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Context,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// Probes and scrapes arrive every few seconds and say nothing about events: no spans for them.
const UNTRACED = new Set(['/healthz', '/readyz', '/metrics']);

interface RequestSpan {
  readonly span: Span;
  readonly context: Context;
}

/**
 * A server span for each request, child of the caller's W3C `traceparent` when it sends one (else a new trace). The
 * span is made the active context for the handler, so that the delivery it starts carries the trace in its input
 * (`gateway/start-trace.ts` reads the active context), and from there to each attempt and the receiver.
 */
export function registerTracing(app: FastifyInstance, tracer: Tracer): void {
  const spans = new WeakMap<FastifyRequest, RequestSpan>();
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || UNTRACED.has(route)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method} ${route}`,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } },
      parent,
    );
    spans.set(request, { span, context: trace.setSpan(parent, span) });
    done();
  });
  // Activated here, right before the handler: the body is read in the socket's own async context, which would lose
  // a context set when the request arrived.
  app.addHook('preHandler', (request, _reply, done) => {
    const traced = spans.get(request);
    if (traced) context.with(traced.context, done);
    else done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const traced = spans.get(request);
    if (traced) {
      traced.span.setAttribute('http.response.status_code', reply.statusCode);
      if (reply.statusCode >= 500) traced.span.setStatus({ code: SpanStatusCode.ERROR });
      traced.span.end();
    }
    done();
  });
}

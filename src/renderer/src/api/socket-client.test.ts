// The browser client against a WebSocket peer speaking the host's protocol: ids, errors with
// codes, events, reconnect after the server drops the connection, and chunked uploads.
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket, { WebSocketServer } from 'ws'
import { SocketClient, UPLOAD_CHUNK_BYTES, WorkbenchCallError, uploadFile } from './index'

type Handler = (params: Record<string, unknown>) => unknown

async function startPeer(handlers: Record<string, Handler>) {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' })
  await new Promise((resolve) => server.once('listening', resolve))
  let connections = 0
  server.on('connection', (socket) => {
    connections++
    socket.on('message', (data) => {
      const { id, method, params } = JSON.parse(data.toString())
      const handler = handlers[method]
      if (!handler) return socket.send(JSON.stringify({ id, ok: false, error: { code: 'invalid_request', message: `unknown method "${method}"` } }))
      try {
        socket.send(JSON.stringify({ id, ok: true, result: handler(params) }))
      } catch (error) {
        socket.send(JSON.stringify({ id, ok: false, error: { code: 'not_found', message: (error as Error).message } }))
      }
    })
  })
  const port = () => (server.address() as { port: number }).port
  return {
    server,
    url: () => `ws://127.0.0.1:${port()}/ws`,
    connections: () => connections,
    broadcast: (message: unknown) => server.clients.forEach((c) => c.send(JSON.stringify(message)))
  }
}

let peers: Awaited<ReturnType<typeof startPeer>>[] = []
let clients: SocketClient[] = []
function clientOf(peer: { url: () => string }): SocketClient {
  const client = new SocketClient(peer.url)
  clients.push(client)
  return client
}
beforeAll(() => {
  ;(globalThis as unknown as { WebSocket: unknown }).WebSocket ??= WebSocket
})
afterEach(async () => {
  clients.forEach((client) => client.close())
  clients = []
  for (const peer of peers) {
    peer.server.clients.forEach((c) => c.terminate())
    await new Promise((resolve) => peer.server.close(resolve))
  }
  peers = []
})

function waitFor(check: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const tick = () => (check() ? resolve() : Date.now() - started > 5000 ? reject(new Error('condition not met in 5 s')) : setTimeout(tick, 20))
    tick()
  })
}

describe('SocketClient', () => {
  it('matches answers to calls and throws errors with their contract code', async () => {
    const peer = await startPeer({ 'runs.list': () => [{ id: 'r1' }], 'runs.get': ({ run_id }) => { throw new Error(`no run ${String(run_id)}`) } })
    peers.push(peer)
    const client = clientOf(peer)
    const [list, again] = await Promise.all([client.call('runs.list', {}), client.call('runs.list', {})])
    expect(list).toEqual([{ id: 'r1' }])
    expect(again).toEqual([{ id: 'r1' }])
    const failure = await client.call('runs.get', { run_id: 'x' }).catch((error: unknown) => error)
    expect(failure).toBeInstanceOf(WorkbenchCallError)
    expect((failure as WorkbenchCallError).code).toBe('not_found')
    expect((failure as WorkbenchCallError).message).toBe('no run x')
  })

  it('delivers events to listeners until they unsubscribe, and reconnects after a drop', async () => {
    const peer = await startPeer({ 'runs.list': () => [] })
    peers.push(peer)
    const client = clientOf(peer)
    const seen: unknown[] = []
    const off = client.on('runs.changed', (payload) => seen.push(payload))
    await client.call('runs.list', {})
    peer.broadcast({ event: 'runs.changed', payload: { run_id: 'a' } })
    peer.broadcast({ event: 'datasets.changed', payload: { id: 'd' } })
    await waitFor(() => seen.length === 1)
    expect(seen).toEqual([{ run_id: 'a' }])

    peer.server.clients.forEach((c) => c.terminate())
    await waitFor(() => peer.connections() === 2 && client.state === 'open')
    peer.broadcast({ event: 'runs.changed', payload: { run_id: 'b' } })
    await waitFor(() => seen.length === 2)
    expect(await client.call('runs.list', {})).toEqual([])
    off()
    peer.broadcast({ event: 'runs.changed', payload: { run_id: 'c' } })
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen).toEqual([{ run_id: 'a' }, { run_id: 'b' }])
  })
})

describe('uploadFile', () => {
  it('sends the file in ordered ~1 MB base64 chunks and returns the upload id', async () => {
    const received: Buffer[] = []
    const offsets: number[] = []
    const peer = await startPeer({
      'uploads.begin': ({ name, size }) => {
        expect(name).toBe('digits.csv')
        expect(size).toBe(bytes.length)
        return { file: 'up-1' }
      },
      'uploads.chunk': ({ file, offset, data_base64 }) => {
        expect(file).toBe('up-1')
        offsets.push(offset as number)
        received.push(Buffer.from(data_base64 as string, 'base64'))
        return { received: (offset as number) + received[received.length - 1].length }
      },
      'uploads.finish': ({ file }) => ({ file, size: bytes.length })
    })
    peers.push(peer)
    const bytes = Buffer.alloc(UPLOAD_CHUNK_BYTES * 2 + 12345)
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + 7) % 256
    const source = {
      name: 'digits.csv',
      size: bytes.length,
      slice: (start: number, end: number) => ({ arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + end) as ArrayBuffer })
    }
    const progress: number[] = []
    const id = await uploadFile(source, (sent) => progress.push(sent), clientOf(peer))
    expect(id).toBe('up-1')
    expect(offsets).toEqual([0, UPLOAD_CHUNK_BYTES, 2 * UPLOAD_CHUNK_BYTES])
    expect(Buffer.concat(received).equals(bytes)).toBe(true)
    expect(progress).toEqual([0, UPLOAD_CHUNK_BYTES, 2 * UPLOAD_CHUNK_BYTES, bytes.length])
  })
})

describe('SocketClient.close', () => {
  it('fails waiting and later calls with `disconnected` and stops reconnecting', async () => {
    const peer = await startPeer({ 'runs.list': () => [] })
    peers.push(peer)
    const client = clientOf(peer)
    await client.call('runs.list', {})
    client.close()
    const later = await client.call('runs.list', {}).catch((error: unknown) => error)
    expect((later as WorkbenchCallError).code).toBe('disconnected')
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(peer.connections()).toBe(1)
  })
})

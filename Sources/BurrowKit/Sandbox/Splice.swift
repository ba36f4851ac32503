import BurrowSystem
import BurrowPodman

/// Copies bytes both ways between two sockets until both directions end; returns the bytes moved
/// each way. An end of stream on one side half-closes the other, so protocols that send a last
/// request and then read the answer (TLS close_notify, HTTP/1.0) still work.
enum Splice {
    static func run(_ client: AsyncSocket, _ upstream: AsyncSocket) async -> (sent: Int, received: Int) {
        async let sent = copy(from: client, to: upstream)
        async let received = copy(from: upstream, to: client)
        let result = await (sent, received)
        client.close()
        upstream.close()
        return result
    }

    /// One direction, zero-copy (splice(2)); an end of stream half-closes the other side.
    static func copy(from source: AsyncSocket, to destination: AsyncSocket) async -> Int {
        do {
            let moved = try await source.splice(to: destination)
            destination.shutdownWriting()
            return moved
        } catch {
            // One side failed: end both directions.
            source.shutdown()
            destination.shutdown()
            return 0
        }
    }
}

import BurrowSystem
import BurrowHTTP
import BurrowKit

/// The responses a burrow's stored events and files become: the domain hands over what to send
/// (`EventSubscription`, `FileSlice`), the web layer frames it.
extension HTTPResponse {
    /// A burrow's event stream: the replay first, then the live channel.
    package static func eventStream(_ subscription: EventSubscription) -> HTTPResponse {
        guard let replay = subscription.replay else { return .eventStream(subscription.channel) }
        return .eventStream(subscription.channel) { writer in
            try await replay.frames { try await writer.write($0) }
        }
    }

    /// A file's byte range written as it is read, in pieces: memory stays bounded whatever its size.
    package static func streamed(_ slice: FileSlice, contentType: String) -> HTTPResponse {
        HTTPResponse(status: .ok, headers: ["Content-Type": contentType], body: .stream { writer in
            try await slice.forEachPiece { try await writer.write($0) }
        })
    }
}

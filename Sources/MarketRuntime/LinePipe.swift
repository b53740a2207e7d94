import NIOCore
import NIOPosix

/// A pair of pipe descriptors as a channel of lines: each line read goes to `onLine`, the end
/// of the input to `onEnd`. The supervisor holds one per peer; a peer holds one to its
/// supervisor (its stdin and stdout).
enum LinePipe {
    static func open(on loop: EventLoop, input: Int32, output: Int32,
                     onLine: @escaping (String) -> Void, onEnd: @escaping () -> Void) -> EventLoopFuture<Channel> {
        let handlers = NIOLoopBound((onLine, onEnd), eventLoop: loop)
        return NIOPipeBootstrap(group: loop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let (onLine, onEnd) = handlers.value
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(NIOSplitUTF8LinesMessageDecoder(omittingEmptySubsequences: true)))
                    try channel.pipeline.syncOperations.addHandler(LineHandler(onLine: onLine, onEnd: onEnd))
                }
            }
            .takingOwnershipOfDescriptors(input: input, output: output)
    }
}

/// Lines in, with a callback at the end of the input.
final class LineHandler: ChannelInboundHandler {
    typealias InboundIn = String

    private let onLine: (String) -> Void
    private let onEnd: () -> Void

    init(onLine: @escaping (String) -> Void, onEnd: @escaping () -> Void) {
        self.onLine = onLine
        self.onEnd = onEnd
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        onLine(unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        onEnd()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

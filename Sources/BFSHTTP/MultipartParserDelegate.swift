/// Receives what a ``MultipartParser`` finds, in body order.
///
/// Calls arrive synchronously from `feed`; a throwing method stops the parse and the error
/// propagates out of `feed` unchanged (so a store can abort an upload on a full volume).
public protocol MultipartParserDelegate {
    /// A part's headers are complete; its data follows.
    mutating func didBeginPart(_ part: MultipartPart) throws
    /// The next bytes of the current part's content.
    ///
    /// `bytes` is a slice of the chunk given to `feed` (or of the parser's own delimiter bytes
    /// when a suspected boundary turned out to be data); it is valid only during this call.
    /// It is never empty.
    mutating func didReceivePartData(_ bytes: UnsafeRawBufferPointer) throws
    /// The current part's content is complete.
    mutating func didEndPart() throws
    /// The closing delimiter was read; whatever follows is epilogue and is ignored.
    mutating func didEndBody() throws
}

extension NeedleFormat {
    /// The largest data size the format itself can hold: the index records a needle's total
    /// size as an int32, so `align8(29 + n)` must stay at or below `Int32.max` (`2^31 - 37`).
    /// Recovery, scrubbing and the offline tools judge needles by this bound, never by the
    /// configured upload limit, which only applies to new uploads.
    public static let formatMaxDataSize = Int(Int32.max) - (alignment - 1) - headerSize - footerSize
}

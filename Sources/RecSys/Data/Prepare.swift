// One entry point for `hdrec prepare`: read a source in any supported format,
// filter and split it, and describe what happened.

/// The input formats `hdrec prepare` reads.
public enum SourceFormat: String, Sendable, CaseIterable {
    case amazon2018, lcrec, recbole

    /// Parses a `--format` value, with an error listing the choices.
    public static func parse(_ text: String) throws -> SourceFormat {
        guard let f = SourceFormat(rawValue: text.lowercased()) else { throw RecSysError.unknownFormat(text) }
        return f
    }
}

public enum DatasetPreparer {
    /// Reads `primary` (reviews or .inter) and `secondary` (meta or .item) in `format`, then builds the dataset.
    public static func prepare(format: SourceFormat, interactions primary: String, items secondary: String, name: String,
                               options: PrepareOptions = PrepareOptions(), lenient: Bool = false) throws -> (Dataset, DatasetManifest) {
        let raw: RawData
        switch format {
        case .amazon2018: raw = try Amazon2018Reader.read(reviews: primary, meta: secondary, lenient: lenient)
        case .lcrec: raw = try LCRecReader.read(inter: primary, item: secondary, lenient: lenient)
        case .recbole: raw = try RecBoleReader.read(inter: primary, item: secondary, lenient: lenient)
        }
        let (dataset, rounds) = try DatasetBuilder.build(raw, name: name, options: options)
        let manifest = DatasetManifest(sourceFormat: format.rawValue, sources: raw.sources, options: options,
                                       kcoreRounds: rounds, skipped: raw.skipped, dropped: raw.dropped)
        return (dataset, manifest)
    }
}

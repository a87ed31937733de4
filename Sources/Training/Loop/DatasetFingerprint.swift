// A content hash of a prepared dataset (item ids and user sequences), so that a run
// resumed or exported against different data is refused.
import Foundation
import RecSys
import Support

public enum DatasetFingerprint {
    public static func of(_ dataset: Dataset) -> String {
        var text = dataset.items.map(\.id).joined(separator: "\n") + "\n#\n"
        for (u, seq) in dataset.sequences.enumerated() {
            text += dataset.userIDs[u] + ":" + seq.map(String.init).joined(separator: ",") + "\n"
        }
        return SHA256.hex(of: Data(text.utf8))
    }
}

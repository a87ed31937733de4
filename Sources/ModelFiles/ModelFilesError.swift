// The one error type of the ModelFiles module. Every case says what was found and
// where: the field (or tensor) name and the byte offset in the file at which the
// offending value starts, so a bad GGUF or safetensors file can be diagnosed with a
// hex dump. Readers never trap and never allocate from an unchecked length.
import Foundation
import JSON
import Quant

public enum ModelFilesError: Error, CustomStringConvertible, Equatable, Sendable {
    // MARK: I/O
    case cannotOpen(path: String, errno: Int32)
    case cannotMap(path: String, errno: Int32)

    // MARK: Shared structure
    /// `field` at `offset` needs `needed` bytes but only `available` remain.
    case truncated(field: String, offset: Int, needed: UInt64, available: Int)
    /// A string that is not valid UTF-8.
    case invalidUTF8(field: String, offset: Int)

    // MARK: GGUF
    case badMagic(found: UInt32, offset: Int)
    case unsupportedVersion(found: UInt32, offset: Int)
    /// A count (tensors, key-value pairs, array elements) that cannot fit in the rest of the file.
    case countTooLarge(field: String, count: UInt64, offset: Int, limit: UInt64)
    /// A string length that runs past the end of the file.
    case stringPastEnd(field: String, length: UInt64, offset: Int, available: Int)
    case unknownValueType(field: String, typeID: UInt32, offset: Int)
    case nestingTooDeep(field: String, offset: Int)
    case duplicateKey(key: String, offset: Int)
    case wrongValueType(key: String, expected: String, found: String, offset: Int)
    /// A bool value byte that is neither 0 nor 1 (ggml's reader accepts only those).
    case invalidBool(field: String, value: UInt8, offset: Int)
    case invalidAlignment(value: UInt64, offset: Int)
    case tooManyDimensions(tensor: String, nDims: UInt32, offset: Int)
    case invalidDimension(tensor: String, index: Int, value: UInt64, offset: Int)
    /// The product of a tensor's dimensions (or its byte size) overflows.
    case dimensionOverflow(tensor: String, offset: Int)
    case unknownTensorType(tensor: String, typeID: UInt32, offset: Int)
    case rowNotBlockAligned(tensor: String, type: GGMLType, rowLength: Int, offset: Int)
    case misalignedTensorOffset(tensor: String, dataOffset: UInt64, alignment: Int, offset: Int)
    /// Tensor data [start, end) (absolute) does not lie inside the file.
    case tensorPastEnd(tensor: String, start: UInt64, end: UInt64, fileSize: Int, offset: Int)
    /// `second`'s data starts before `first`'s ends. `offset` is the start of `second`'s data.
    case overlappingTensors(first: String, second: String, offset: Int)
    case duplicateTensor(name: String, offset: Int)
    case unknownTensor(name: String)

    // MARK: safetensors
    case headerTooSmall(fileSize: Int)
    case headerTooLarge(length: UInt64, limit: UInt64)
    case invalidHeaderLength(length: UInt64, fileSize: Int)
    case invalidJSON(reason: String, offset: Int)
    case invalidTensorEntry(tensor: String, field: String, reason: String, offset: Int)
    case unknownDType(tensor: String, dtype: String, offset: Int)
    /// Tensors (sorted by BEGIN) must tile the data buffer: BEGIN == previous END.
    case invalidDataOffsets(tensor: String, begin: UInt64, end: UInt64, expectedBegin: UInt64, offset: Int)
    /// END - BEGIN differs from product(shape) x size(dtype).
    case tensorSizeMismatch(tensor: String, expected: UInt64, actual: UInt64, offset: Int)
    /// The data buffer is longer or shorter than the tensors declare.
    case incompleteBuffer(expectedFileSize: UInt64, fileSize: Int)
    case metadataNotString(key: String, offset: Int)
    case unsupportedConversion(tensor: String, dtype: String)

    // MARK: Writers
    case invalidTensor(name: String, reason: String)

    // MARK: PEFT adapter directories
    case missingFile(path: String)
    case missingField(file: String, field: String)
    case invalidField(file: String, field: String, reason: String)
    /// `error` was found reading the file at `path` (a directory's reader names which of its files).
    indirect case inFile(path: String, error: ModelFilesError)

    public var description: String {
        switch self {
        case let .cannotOpen(path, e): return "cannot open \(path): \(String(cString: strerror(e)))"
        case let .cannotMap(path, e): return "cannot memory-map \(path): \(String(cString: strerror(e)))"
        case let .truncated(field, offset, needed, available):
            return "truncated file: \(field) at byte \(offset) needs \(needed) bytes, \(available) remain"
        case let .invalidUTF8(field, offset): return "\(field) at byte \(offset) is not valid UTF-8"
        case let .badMagic(found, offset):
            return "not a GGUF file: magic 0x\(String(found, radix: 16)) at byte \(offset) (expected 0x46554747 \"GGUF\")"
        case let .unsupportedVersion(found, offset):
            return "unsupported GGUF version \(found) at byte \(offset) (supported: 2, 3)"
        case let .countTooLarge(field, count, offset, limit):
            return "\(field) = \(count) at byte \(offset) cannot fit in the file (at most \(limit))"
        case let .stringPastEnd(field, length, offset, available):
            return "\(field): string length \(length) at byte \(offset) runs past the end (\(available) bytes remain)"
        case let .unknownValueType(field, typeID, offset):
            return "\(field): unknown GGUF value type \(typeID) at byte \(offset)"
        case let .nestingTooDeep(field, offset): return "\(field): arrays nested too deeply at byte \(offset)"
        case let .duplicateKey(key, offset): return "duplicate key \"\(key)\" at byte \(offset)"
        case let .wrongValueType(key, expected, found, offset):
            return "\(key) at byte \(offset) has type \(found), expected \(expected)"
        case let .invalidBool(field, value, offset):
            return "\(field): bool value \(value) at byte \(offset) is neither 0 nor 1"
        case let .invalidAlignment(value, offset):
            return "general.alignment = \(value) at byte \(offset) is not a non-zero power of two"
        case let .tooManyDimensions(tensor, nDims, offset):
            return "tensor \"\(tensor)\": n_dims = \(nDims) at byte \(offset) (at most 4)"
        case let .invalidDimension(tensor, index, value, offset):
            return "tensor \"\(tensor)\": dimension \(index) = \(value) at byte \(offset) is out of range"
        case let .dimensionOverflow(tensor, offset):
            return "tensor \"\(tensor)\": element or byte count overflows (dimensions at byte \(offset))"
        case let .unknownTensorType(tensor, typeID, offset):
            return "tensor \"\(tensor)\": unsupported ggml type \(typeID) at byte \(offset)"
        case let .rowNotBlockAligned(tensor, type, rowLength, offset):
            return "tensor \"\(tensor)\": row of \(rowLength) values is not a whole number of \(type) blocks (byte \(offset))"
        case let .misalignedTensorOffset(tensor, dataOffset, alignment, offset):
            return "tensor \"\(tensor)\": data offset \(dataOffset) at byte \(offset) is not a multiple of \(alignment)"
        case let .tensorPastEnd(tensor, start, end, fileSize, offset):
            return "tensor \"\(tensor)\": data [\(start), \(end)) (offset field at byte \(offset)) is outside the file of \(fileSize) bytes"
        case let .overlappingTensors(first, second, offset):
            return "tensor \"\(second)\" at byte \(offset) overlaps tensor \"\(first)\""
        case let .duplicateTensor(name, offset): return "duplicate tensor name \"\(name)\" at byte \(offset)"
        case let .unknownTensor(name): return "no tensor named \"\(name)\""
        case let .headerTooSmall(size):
            return "safetensors file of \(size) bytes is too small for its header length (u64 at byte 0)"
        case let .headerTooLarge(length, limit):
            return "safetensors header length \(length) (u64 at byte 0) exceeds the limit \(limit)"
        case let .invalidHeaderLength(length, size):
            return "safetensors header length \(length) (u64 at byte 0): the header, from byte 8, runs past the end of the \(size)-byte file"
        case let .invalidJSON(reason, offset): return "invalid JSON header at byte \(offset): \(reason)"
        case let .invalidTensorEntry(tensor, field, reason, offset):
            return "tensor \"\(tensor)\": \(field) at byte \(offset): \(reason)"
        case let .unknownDType(tensor, dtype, offset):
            return "tensor \"\(tensor)\": unknown dtype \"\(dtype)\" at byte \(offset)"
        case let .invalidDataOffsets(tensor, begin, end, expected, offset):
            return "tensor \"\(tensor)\": data_offsets [\(begin), \(end)] at byte \(offset); expected BEGIN \(expected) (no gaps or overlaps)"
        case let .tensorSizeMismatch(tensor, expected, actual, offset):
            return "tensor \"\(tensor)\": dtype x shape = \(expected) bytes but data_offsets span \(actual) (byte \(offset))"
        case let .incompleteBuffer(expected, size):
            return "safetensors data buffer: the last tensor ends at byte \(expected) but the file ends at byte \(size)"
        case let .metadataNotString(key, offset): return "__metadata__ value for \"\(key)\" at byte \(offset) is not a string"
        case let .unsupportedConversion(tensor, dtype): return "tensor \"\(tensor)\": cannot convert dtype \(dtype) to f32"
        case let .invalidTensor(name, reason): return "tensor \"\(name)\": \(reason)"
        case let .missingFile(path): return "missing file \(path)"
        case let .missingField(file, field): return "\(file): missing field \"\(field)\""
        case let .invalidField(file, field, reason): return "\(file): field \"\(field)\": \(reason)"
        case let .inFile(path, error): return "\(path): \(error)"
        }
    }
}

extension ModelFilesError {
    /// A JSON parse error of a file's JSON (a safetensors header, adapter_config.json),
    /// offsets unchanged: a repeated key is reported where it starts.
    init(json e: JSONError) {
        switch e {
        case let .syntax(reason, offset): self = .invalidJSON(reason: reason, offset: offset)
        case let .duplicateKey(key, offset, _): self = .duplicateKey(key: key, offset: offset)
        // Typed-document errors (JSONDocumentDecoder/Encoder): the parser never throws them.
        case .document, .unencodable: self = .invalidJSON(reason: e.reason, offset: e.offset)
        }
    }
}

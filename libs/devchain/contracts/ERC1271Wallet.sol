// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ERC1271Wallet
/// @notice Smallest useful smart-contract account for tests: one ECDSA owner,
///         ERC-1271 signature validation, and an owner-only `execute`.
/// @dev `isValidSignature` checks the hash exactly as given (no EIP-191
///      prefix), so an owner's EIP-712 signature over a typed-data digest is
///      accepted for that digest. This is what EIP-3009 tokens hand over.
contract ERC1271Wallet {
    bytes4 private constant MAGIC_VALUE = 0x1626ba7e;
    bytes4 private constant INVALID_VALUE = 0xffffffff;
    uint256 private constant SECP256K1_HALF_ORDER =
        0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    address public owner;

    event Executed(address indexed to, uint256 value, bytes data);

    constructor(address owner_) {
        require(owner_ != address(0), "ERC1271Wallet: zero owner");
        owner = owner_;
    }

    receive() external payable {}

    /// @notice Returns 0x1626ba7e when `signature` (65 bytes, r||s||v) over `hash` was made by the owner, else 0xffffffff.
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (signature.length != 65) return INVALID_VALUE;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        if (uint256(s) > SECP256K1_HALF_ORDER) return INVALID_VALUE;
        if (v != 27 && v != 28) return INVALID_VALUE;
        address recovered = ecrecover(hash, v, r, s);
        return (recovered != address(0) && recovered == owner) ? MAGIC_VALUE : INVALID_VALUE;
    }

    /// @notice Performs an arbitrary call from the wallet. Owner only; bubbles up the callee's revert data.
    function execute(address to, uint256 value, bytes calldata data) external returns (bytes memory result) {
        require(msg.sender == owner, "ERC1271Wallet: caller is not the owner");
        bool success;
        (success, result) = to.call{value: value}(data);
        if (!success) {
            assembly {
                revert(add(result, 0x20), mload(result))
            }
        }
        emit Executed(to, value, data);
    }
}

<?php
/**
 * Generates tests/vectors/signing.json: wallet request bodies signed by real PHP.
 *
 * The aggregator's reference peers are PHP; their bodies come from json_encode() and
 * their X-Sign from hash_hmac('sha256', $json, $token) (PROTOCOL.md Part A, rule B1).
 * These vectors pin our signing to PHP's bytes, including the escapes json_encode adds
 * by default (`/` as `\/`, non-ASCII as `\uXXXX`) and float output under
 * serialize_precision = -1 (0.1 + 0.2 prints as 0.30000000000000004).
 *
 * Rerun (php-cli >= 7.1; the stored file was made with 8.2), from the repository root:
 *
 *     php tests/vectors/make_php_vectors.php > tests/vectors/signing.json
 *
 * Each vector holds:
 *   name         a unique identifier, used as the pytest id;
 *   flags        the json_encode flags used, as text;
 *   body         the exact body (a UTF-8 string);
 *   body_base64  the same bytes in base64, so byte-exactness survives any editor;
 *   token        the HMAC key;
 *   signature    hash_hmac('sha256', body, token): lowercase hex;
 *   expect       what decode_wallet_request must give, written by hand below:
 *                {"message": "Bet", "fields": {...}} with the amount in integer
 *                units of 1/10000, or {"error": "<wire code>"}.
 */

ini_set('serialize_precision', '-1');

const DEFAULT_FLAGS = 0;
const UNESCAPED = JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE;

function bet(array $overrides = []): array
{
    return array_merge([
        'action' => 'bet',
        'type' => 'bet',
        'session_id' => 'sess-1',
        'amount' => 10.0001,
        'transaction_id' => 'tx-1',
        'round_id' => 'round-1',
        'game_id' => 'classic-7s',
    ], $overrides);
}

function fields(array $body, ?int $units): array
{
    unset($body['action']);
    if ($units !== null) {
        $body['amount'] = $units;
    }
    return $body;
}

$token = 'secret-token-1';
$cases = [];

$b = bet();
$cases[] = ['bet_float_amount', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];

$b = bet(['amount' => 0.1 + 0.2, 'transaction_id' => 'tx-float-sum']);
$cases[] = ['bet_float_sum_has_more_than_four_decimals', $b, DEFAULT_FLAGS, $token,
    ['error' => 'WRONG_INPUT_PARAMETERS']];

$b = bet(['round_id' => 'round/1', 'transaction_id' => 'tx/slash']);
$cases[] = ['bet_slashes_escaped', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];
$cases[] = ['bet_slashes_unescaped', $b, UNESCAPED, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];

$b = bet(['game_id' => 'Bücher', 'transaction_id' => 'tx-umlaut']);
$cases[] = ['bet_non_ascii_escaped', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];
$cases[] = ['bet_non_ascii_unescaped', $b, UNESCAPED, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];

$b = bet(['game_id' => '🎰', 'round_id' => 'r/🎰/2', 'transaction_id' => 'tx-emoji']);
$cases[] = ['bet_astral_escaped_as_surrogate_pair', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];
$cases[] = ['bet_astral_unescaped', $b, UNESCAPED, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];

$b = bet(['amount' => 10, 'transaction_id' => 'tx-int']);
$cases[] = ['bet_integer_amount', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 100000)]];

$b = bet(['amount' => 100.0, 'transaction_id' => 'tx-whole-float']);
$cases[] = ['bet_whole_float_amount', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 1000000)]];

$b = bet(['amount' => '10.50', 'transaction_id' => 'tx-string']);
$cases[] = ['bet_string_amount', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 105000)]];

$b = bet(['type' => 'tip', 'amount' => 0.5, 'transaction_id' => 'tx-tip']);
$cases[] = ['bet_tip', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Bet', 'fields' => fields($b, 5000)]];

$b = bet(['amount' => 1e20, 'transaction_id' => 'tx-exponent']);
$cases[] = ['bet_huge_float_printed_with_exponent', $b, DEFAULT_FLAGS, $token,
    ['error' => 'WRONG_INPUT_PARAMETERS']];

$b = bet(['action' => 'win', 'type' => 'win', 'amount' => 0, 'transaction_id' => 'tx-win-0']);
$cases[] = ['win_of_zero', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Win', 'fields' => fields($b, 0)]];

$b = bet(['action' => 'win', 'type' => 'jackpot', 'amount' => 1234.5678,
    'transaction_id' => 'tx-jackpot']);
$cases[] = ['win_jackpot', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Win', 'fields' => fields($b, 12345678)]];

$b = ['action' => 'balance', 'session_id' => 'sess-1'];
$cases[] = ['balance', $b, DEFAULT_FLAGS, $token,
    ['message' => 'GetBalance', 'fields' => fields($b, null)]];

$b = ['action' => 'refund', 'session_id' => 'sess/1', 'transaction_id' => 'tx-1',
    'round_id' => 'round-1', 'game_id' => 'classic-7s'];
$cases[] = ['refund', $b, DEFAULT_FLAGS, $token,
    ['message' => 'Refund', 'fields' => fields($b, null)]];

$b = ['action' => 'payout', 'session_id' => 'sess-1'];
$cases[] = ['unknown_action', $b, DEFAULT_FLAGS, $token,
    ['error' => 'ACTION_IS_NOT_EXIST']];

$b = bet(['transaction_id' => 'tx-utf8-token']);
$cases[] = ['bet_non_ascii_token', $b, DEFAULT_FLAGS, 'clé-secrète-🔑',
    ['message' => 'Bet', 'fields' => fields($b, 100001)]];

$vectors = [];
foreach ($cases as [$name, $body, $flags, $key, $expect]) {
    $json = json_encode($body, $flags | JSON_THROW_ON_ERROR);
    $vectors[] = [
        'name' => $name,
        'flags' => $flags === UNESCAPED ? 'JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE' : '0',
        'body' => $json,
        'body_base64' => base64_encode($json),
        'token' => $key,
        'signature' => hash_hmac('sha256', $json, $key),
        'expect' => $expect,
    ];
}

echo json_encode(
    [
        'generator' => 'tests/vectors/make_php_vectors.php',
        'php_version' => PHP_VERSION,
        'vectors' => $vectors,
    ],
    JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_THROW_ON_ERROR
), "\n";

"""A treasury job: sweeps profits from the trading account to a cold wallet.

Its key needs withdraw — which is why it is a separate script with its own IP-bound
key, and the destination is a constant (also whitelisted on the exchange).
"""

import os

from binance.client import Client

COLD_WALLET = "bc1q-example-cold-wallet-address"
KEEP_ON_EXCHANGE = 0.05

client = Client(os.environ["TREASURY_API_KEY"], os.environ["TREASURY_API_SECRET"])


def sweep() -> None:
    free = float(client.get_asset_balance(asset="BTC")["free"])
    if free > KEEP_ON_EXCHANGE:
        amount = round(free - KEEP_ON_EXCHANGE, 6)
        client.withdraw(coin="BTC", address=COLD_WALLET, amount=amount)  # apisec: ignore[APS503] -- treasury job, key IP-bound


if __name__ == "__main__":
    sweep()

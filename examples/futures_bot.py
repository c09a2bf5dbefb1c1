"""A USD-M futures bot: reads prices and positions, sets leverage, places orders.

Its key needs read + trade:futures and nothing else:
    apisec-lint --permissions examples/
"""

import os
import time

import ccxt

SYMBOL = "BTC/USDT:USDT"

exchange = ccxt.binanceusdm({
    "apiKey": os.environ["BINANCE_API_KEY"],
    "secret": os.environ["BINANCE_API_SECRET"],
})


def step(size: float) -> None:
    price = exchange.fetch_ticker(SYMBOL)["last"]
    positions = exchange.fetch_positions([SYMBOL])
    if not positions:
        exchange.set_leverage(3, SYMBOL)
        exchange.create_order(SYMBOL, "limit", "buy", size, price * 0.995)


if __name__ == "__main__":
    while True:
        step(0.001)
        time.sleep(30)

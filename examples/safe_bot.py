"""The same bot done right: nothing here should be reported.

Keys come from the environment, TLS stays on, the limiter is on, HTTP calls have
timeouts, untrusted input is validated before it reaches an order, and the key needs
no withdrawal rights.
"""

import os
import time

import ccxt
import requests
from flask import Flask, abort, request

app = Flask(__name__)

exchange = ccxt.binanceusdm({
    "apiKey": os.environ["BINANCE_API_KEY"],
    "secret": os.environ["BINANCE_API_SECRET"],
    "enableRateLimit": True,
})

SIGNALS = "https://signals.example-desk.net/v1/latest"
ALLOWED_SYMBOLS = {"BTC/USDT:USDT", "ETH/USDT:USDT"}
MAX_AMOUNT = 0.01
MAX_LEVERAGE = 3


def latest_signal() -> dict:
    return requests.get(SIGNALS, timeout=10).json()


@app.route("/webhook", methods=["POST"])
def webhook():
    data = request.get_json(silent=True) or {}
    symbol = data.get("symbol")
    if symbol not in ALLOWED_SYMBOLS:
        abort(400)
    side = "buy" if data.get("side") == "buy" else "sell"
    amount = min(max(float(data.get("amount", 0)), 0.0), MAX_AMOUNT)
    if amount <= 0:
        abort(400)
    exchange.set_leverage(MAX_LEVERAGE, symbol)
    order = exchange.create_order(symbol, "market", side, amount)
    return {"id": order["id"]}


def poll_forever() -> None:
    while True:
        for symbol in sorted(ALLOWED_SYMBOLS):
            print(exchange.fetch_ticker(symbol)["last"])
        time.sleep(5)


if __name__ == "__main__":
    app.run(host="127.0.0.1")

"""A deliberately vulnerable trading bot: every classic mistake in one file.

Run `apisec-lint examples/` to see what apisec-lint reports. Do not copy this code.
"""

import time

import ccxt
import requests
from flask import Flask, request

app = Flask(__name__)

# Hardcoded credentials (APS1): anyone with read access to the repository can trade.
exchange = ccxt.binanceusdm({
    "apiKey": "q7Lm2XvB9cTn4RwZ8kHd3FsJ6yPa1GeU5oQiV0bNtCxM7rLzW2hKjS4dYf9gE3uA",
    "secret": "Wn5tHq8ZrB2mLx7VcK4pJd9FsG1yTa6eUo3RiN0bQwMz5XvLh8kYj2CdS7fP4gAe",
    "enableRateLimit": False,  # rate limiter off (APS3)
})

# Plaintext endpoint (APS2) and TLS verification disabled (APS2).
SIGNALS = "http://signals.example-desk.net/v1/latest"


def latest_signal() -> dict:
    return requests.get(SIGNALS, verify=False).json()  # no timeout either (APS3)


@app.route("/webhook", methods=["POST"])
def webhook():
    # Untrusted JSON straight into the order (APS4).
    data = request.get_json()
    exchange.set_leverage(50, data["symbol"])  # leverage above the maximum (APS4)
    order = exchange.create_order(data["symbol"], "market", data["side"], data["amount"])
    return {"id": order["id"]}


def sweep(address: str, amount: float) -> None:
    # A trading bot that can withdraw: its key has withdrawal rights (APS5).
    exchange.withdraw("USDT", amount, address)


def poll_forever() -> None:
    while True:  # hammers the API with no sleep (APS3)
        for symbol in ("BTC/USDT:USDT", "ETH/USDT:USDT"):
            print(exchange.fetch_ticker(symbol)["last"])


if __name__ == "__main__":
    app.run()
    time.sleep(1)

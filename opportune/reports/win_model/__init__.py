"""The explained win probability (issue 15, decision 0033): a calibrated logistic regression
trained on the closed opportunities (won: Converted; lost: Lost or Closed) from what was known
at the time, stored as plain numbers (reports.WinModel), and the predictions of the open ones
(reports.WinPrediction), each with the three factors that moved it most.

- ``features``: the features of opportunities, read in chunks by SQL (history: age in stage and
  slips; communications and events: touches), as numpy arrays;
- ``encoding``: the features as model inputs, the prediction and its factors (numpy only);
- ``training``: the fit (scikit-learn, imported only there), Brier score and reliability bins;
- ``services``: train, score, read; ``report``: the manager's page and ``reports/win-model``.
"""

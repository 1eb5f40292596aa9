"""The first-run wizard: ``FirstRunWizard(bridge, profile, options, parent)``.

Signals ``account_ready(Messenger)`` (created or joined, recovery code
confirmed) and ``cancelled()``.  One page per state of ``WizardState``.
"""

from keybound.gui.wizard.state import Purpose, WizardState
from keybound.gui.wizard.wizard import FirstRunWizard

__all__ = ["FirstRunWizard", "Purpose", "WizardState"]

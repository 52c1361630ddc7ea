from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "opportune.reports"
    label = "reports"

    def ready(self) -> None:
        from opportune.core import slots
        from opportune.core.demo import register_demo_step
        from opportune.core.views import register_home_section
        from opportune.crm.win_probability import register_win_predictions
        from opportune.reports import dashboard
        from opportune.reports.demo import (
            make_closed_history,
            make_pipeline_history,
            make_sales_targets,
            train_demo_win_model,
        )
        from opportune.reports.win_model.services import prediction_column, stored_predictions

        slots.register_nav_links(dashboard.nav_links)
        for section in dashboard.SECTIONS:
            register_home_section(section)
        register_demo_step(make_sales_targets)
        register_demo_step(make_pipeline_history)
        register_demo_step(make_closed_history)
        register_demo_step(train_demo_win_model)
        register_win_predictions(stored_predictions, prediction_column)
